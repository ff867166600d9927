import httpx
import pytest

import ragd_live


@pytest.fixture(scope="session")
def tenant():
    return ragd_live.new_tenant("api")


@pytest.fixture(scope="session")
def token(tenant):
    return ragd_live.token(tenant)


@pytest.fixture(scope="session")
def http(token):
    with httpx.Client(base_url=ragd_live.URL, verify=ragd_live.tls(), timeout=60,
                      headers={"Authorization": f"Bearer {token}"}) as client:
        yield client


@pytest.fixture(scope="session")
def pump_manual(http):
    """One document the questions below are about, ingested once per session."""
    response = http.post("/v1/documents", json={
        "title": "Zorblat pump manual",
        "text": "The zorblat pump must be oiled every week with blue oil.\n\n"
                "Its impeller turns at 1450 rpm. Replace the seal after 2000 hours of service.",
        "metadata": {"kind": "manual"}})
    assert response.status_code in (200, 201), response.text
    return response.json()
