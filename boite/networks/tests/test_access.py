from boite.networks.access import staff_access
from boite.networks.models import Library, StaffRole


def _visible(user):
    return set(staff_access(user).libraries().values_list("name", flat=True))


def test_library_staff_see_their_library_only(librarian_bayeux, lisieux_library, caen_library):
    assert _visible(librarian_bayeux) == {"Médiathèque de Bayeux"}
    assert not staff_access(librarian_bayeux).can_manage_library(lisieux_library)


def test_network_admin_sees_the_whole_network_and_nothing_else(
    admin_caen, bayeux_library, lisieux_library, caen_library
):
    assert _visible(admin_caen) == {"Bibliothèque Alexis de Tocqueville"}
    assert staff_access(admin_caen).can_manage_library(caen_library)
    assert not staff_access(admin_caen).can_manage_library(bayeux_library)


def test_outsider_and_anonymous_see_nothing(outsider, bayeux_library):
    from django.contrib.auth.models import AnonymousUser

    assert _visible(outsider) == set()
    assert not staff_access(outsider).is_staff
    assert not staff_access(AnonymousUser()).is_staff


def test_finance_and_editor_roles_do_not_open_patron_libraries(
    finance_officer, editor, bayeux_library
):
    assert _visible(finance_officer) == set()
    assert staff_access(finance_officer).has_role(StaffRole.Kind.FINANCE)
    assert not staff_access(editor).has_role(StaffRole.Kind.FINANCE)


def test_superuser_sees_everything(django_user_model, bayeux_library, caen_library):
    root = django_user_model.objects.create_superuser("root", "root@example.org", "x")
    assert _visible(root) == set(Library.objects.values_list("name", flat=True))


def test_a_deactivated_account_loses_its_access(librarian_bayeux):
    librarian_bayeux.is_active = False
    assert not staff_access(librarian_bayeux).is_staff


def test_scope_follows_a_lookup_to_the_owning_library(
    librarian_bayeux, bayeux_library, lisieux_library
):
    roles = staff_access(librarian_bayeux).scope(StaffRole.objects.all())
    assert {r.library for r in roles} == {bayeux_library}


def test_staff_required_sends_anonymous_to_login_and_refuses_others(rf, outsider, editor):
    from django.contrib.auth.models import AnonymousUser
    from django.core.exceptions import PermissionDenied
    from django.http import HttpResponse

    from boite.networks.access import staff_required

    @staff_required(StaffRole.Kind.EDITOR)
    def view(request):
        return HttpResponse("ok")

    request = rf.get("/gestion/")
    request.user = AnonymousUser()
    assert view(request).status_code == 302
    request.user = outsider
    try:
        view(request)
        raise AssertionError("the outsider was let in")
    except PermissionDenied:
        pass
    request.user = editor
    assert view(request).content == b"ok"
