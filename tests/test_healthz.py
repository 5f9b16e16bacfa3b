import logging

import pytest
from django.db import connections

import collaborative.views


class BrokenChannelLayer:
    async def new_channel(self, prefix: str = "specific.") -> str:
        raise ConnectionError("channel layer unreachable")


def get(client):
    response = client.get("/healthz")
    return response, response.json()


@pytest.mark.django_db
def test_it_reports_everything_up_without_signing_in(client):
    response, body = get(client)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert body == {"status": "ok", "database": "up", "channel_layer": "up"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_it_answers_503_when_the_channel_layer_fails(client, monkeypatch, caplog):
    monkeypatch.setattr(collaborative.views, "get_channel_layer", lambda: BrokenChannelLayer())

    with caplog.at_level(logging.ERROR, logger="collaborative.views"):
        response, body = get(client)

    assert response.status_code == 503
    assert body == {"status": "unavailable", "database": "up", "channel_layer": "down"}
    assert "channel layer unreachable" in caplog.text


@pytest.mark.django_db
def test_it_answers_503_when_no_channel_layer_is_configured(client, monkeypatch):
    monkeypatch.setattr(collaborative.views, "get_channel_layer", lambda: None)

    response, body = get(client)

    assert response.status_code == 503
    assert body["channel_layer"] == "down"


@pytest.mark.django_db
def test_it_answers_503_when_the_database_fails(client, monkeypatch, caplog):
    def broken_cursor(*args, **kwargs):
        raise ConnectionError("database unreachable")

    # The sync test client runs the async view's database work on this same thread, so
    # patching this thread's connection reaches it.
    monkeypatch.setattr(connections["default"], "cursor", broken_cursor)

    with caplog.at_level(logging.ERROR, logger="collaborative.views"):
        response, body = get(client)

    assert response.status_code == 503
    assert body == {"status": "unavailable", "database": "down", "channel_layer": "up"}
    assert "database unreachable" in caplog.text
