"""HTTP errors keep the headers that tell a client what to do instead."""


def test_api_405_names_the_allowed_methods(world, api):
    response = api(world.member).delete("/api/v1/me")
    assert response.status_code == 405
    assert response.json["error"]["code"] == "method_not_allowed"
    assert set(response.headers["Allow"].replace(" ", "").split(",")) == {"GET", "HEAD", "OPTIONS"}
    assert response.content_type == "application/json"


def test_page_405_names_the_allowed_methods(world, login):
    response = login(world.member).put("/annuaire")
    assert response.status_code == 405
    assert "Action non permise" in response.get_data(as_text=True)
    assert set(response.headers["Allow"].replace(" ", "").split(",")) == {"GET", "HEAD", "OPTIONS"}
    assert response.content_type.startswith("text/html")
