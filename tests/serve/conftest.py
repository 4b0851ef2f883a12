"""Fixtures for the job server: an app on a fresh home folder with its token, a project."""

import pytest


@pytest.fixture
def home(tmp_path):
    return tmp_path / "home"


@pytest.fixture
def make_client(home):
    """``make_client(**options)`` -> (TestClient, auth headers); the app's lifespan runs."""
    from fastapi.testclient import TestClient

    from soundry.serve import create_app

    clients = []

    def make(home_dir=None, **options):
        app = create_app(home_dir or home, **options)
        client = TestClient(app)
        client.__enter__()
        clients.append(client)
        token = app.state.services.token
        return client, ({"Authorization": f"Bearer {token}"} if token else {})

    yield make
    for c in clients:
        c.__exit__(None, None, None)


@pytest.fixture
def client(make_client):
    return make_client()


@pytest.fixture
def project(client):
    c, h = client
    r = c.post("/api/projects", headers=h, json={"name": "voices", "recipe": "classify"})
    assert r.status_code == 201, r.text
    return r.json()
