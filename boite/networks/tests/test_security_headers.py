def test_pages_carry_a_strict_content_security_policy(client):
    response = client.get("/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_templates_have_no_inline_style_or_script(client, bayeux_library):
    for path in ["/", "/bibliotheques/", "/mentions-legales/", "/accessibilite/"]:
        page = client.get(path).content.decode()
        assert " style=" not in page
        assert "<style" not in page
        assert "<script>" not in page
