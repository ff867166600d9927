"""The contract as served: valid OpenAPI 3.1, the same document as in the repository."""
import json

import httpx
from openapi_spec_validator import validate

import ragd_live


def test_the_served_document_is_valid_openapi_and_the_one_in_the_repository():
    response = httpx.get(ragd_live.URL + "/openapi.json", verify=ragd_live.tls())
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    served = response.json()
    validate(served)
    assert served["openapi"] == "3.1.0"
    kept = json.loads((ragd_live.REPO / "Sources/RagdApp/Resources/openapi.json").read_text())
    assert served == kept
