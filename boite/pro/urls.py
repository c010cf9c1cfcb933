from django.urls import path

from boite.pro import feeds, views

app_name = "pro"

urlpatterns = [
    path("pro/", views.index, name="index"),
    path("pro/flux.rss", feeds.rss, name="feed_rss"),
    path("pro/flux.atom", feeds.atom, name="feed_atom"),
    path("pro/flux/<str:token>.rss", feeds.private_rss, name="private_feed_rss"),
    path("pro/flux/<str:token>.atom", feeds.private_atom, name="private_feed_atom"),
    path("pro/profil/", views.profile, name="profile"),
    path("pro/billets/nouveau/", views.post_edit, name="post_new"),
    path("pro/billets/<int:pk>/", views.post_detail, name="post"),
    path("pro/billets/<int:pk>/modifier/", views.post_edit, name="post_edit"),
    path("pro/billets/<int:pk>/fichiers/", views.attachment_add, name="attachment_add"),
    path("pro/fichiers/<int:pk>/", views.attachment_file, name="attachment"),
    path("pro/evenements/", views.event_list, name="events"),
    path("pro/evenements/nouveau/", views.event_edit, name="event_new"),
    path("pro/evenements/<int:pk>/", views.event_detail, name="event"),
    path("pro/evenements/<int:pk>/modifier/", views.event_edit, name="event_edit"),
    path("pro/evenements/<int:pk>/inscription/", views.event_register, name="event_register"),
    path("pro/evenements/<int:pk>/annulation/", views.event_cancel, name="event_cancel"),
    path("pro/evenements/<int:pk>/agenda.ics", views.event_ics, name="event_ics"),
    path("pro/evenements/<int:pk>/message/", views.event_message, name="event_message"),
    path("pro/documents/", views.document_list, name="documents"),
    path("pro/documents/nouveau/", views.document_new, name="document_new"),
    path("pro/documents/<int:pk>/", views.document_detail, name="document"),
    path("pro/documents/<int:pk>/version/", views.document_version, name="document_version"),
    path(
        "pro/documents/versions/<int:pk>/telecharger/",
        views.document_download,
        name="document_download",
    ),
    path("pro/annuaire/", views.directory, name="directory"),
    path("actualites/", views.news_list, name="news"),
    path("actualites/selections/<slug:slug>/", views.selection_detail, name="selection"),
    path("actualites/<slug:slug>/", views.news_detail, name="news_detail"),
]
