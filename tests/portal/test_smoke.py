def test_it_redirects_anonymous_home_to_login(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_it_shows_home_to_officer(client, officer_a):
    client.force_login(officer_a)
    response = client.get("/")
    assert response.status_code == 200
    assert "LPM Kelurahan A1" in response.content.decode()
