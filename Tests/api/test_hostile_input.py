"""Bad input is a 4xx naming what is wrong, never a 5xx, and changes nothing; nginx's own
refusals are problem+json too."""
import base64
import json
import socket
import ssl
import urllib.parse

import httpx
import pytest

import ragd_live

NUL = "\u0000"


def field_of(response):
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return response.json()["errors"][0]["field"]


def document_count(http):
    return len(http.get("/v1/documents", params={"limit": 100}).json()["data"])


@pytest.mark.parametrize("body, field", [
    ({"title": f"a{NUL}b", "text": "t"}, "title"),
    ({"title": "t", "text": "t", "source": f"s{NUL}"}, "source"),
    ({"title": "t", "text": "t", "metadata": {f"k{NUL}": 1}}, "metadata"),
    ({"title": "t", "text": "t", "metadata": {"k": [f"v{NUL}"]}}, "metadata"),
])
def test_nul_in_json_document_fields(http, body, field):
    before = document_count(http)
    assert field_of(http.post("/v1/documents", json=body)) == field
    assert document_count(http) == before


def test_nul_in_document_text_is_stripped_as_other_control_characters(http):
    response = http.post("/v1/documents", json={"title": "nul text", "text": f"zorblat{NUL}quux gauge"})
    assert response.status_code == 201, response.text
    chunks = http.get(f"/v1/documents/{response.json()['id']}/chunks").json()["data"]
    assert NUL not in chunks[0]["text"]
    assert http.delete(f"/v1/documents/{response.json()['id']}").status_code == 204


@pytest.mark.parametrize("name", ["title", "source"])
def test_nul_in_query_parameters_of_a_raw_upload(http, name):
    response = http.post(f"/v1/documents?{name}=a%00b", content=b"plain text", headers={"content-type": "text/plain"})
    assert field_of(response) == name


def test_nul_in_a_multipart_file_name(http):
    # Built by hand: HTTP clients escape a NUL in a file name.
    body = (b'--b0undary\r\nContent-Disposition: form-data; name="file"; filename="a\x00b.txt"\r\n'
            b"Content-Type: text/plain\r\n\r\ntext\r\n--b0undary--\r\n")
    response = http.post("/v1/documents", content=body, headers={"content-type": "multipart/form-data; boundary=b0undary"})
    assert field_of(response) == "file"


@pytest.mark.parametrize("parts, field", [
    ({"file": ("a.txt", b"text", "text/plain"), "title": (None, "x\0y")}, "title"),
    ({"file": ("a.txt", b"text", "text/plain"), "source": (None, "x\0y")}, "source"),
    ({"file": ("a.txt", b"text", "text/plain"), "metadata": (None, '{"k": "v\\u0000"}')}, "metadata"),
])
def test_nul_in_multipart_parts(http, parts, field):
    assert field_of(http.post("/v1/documents", files=parts)) == field


@pytest.mark.parametrize("path, body, field", [
    ("/v1/search", {"query": f"pump{NUL}"}, "query"),
    ("/v1/search", {"query": "pump", "filter": {"metadata": {"k": NUL}}}, "filter.metadata"),
    ("/v1/query", {"question": f"why{NUL}"}, "question"),
    ("/v1/query", {"question": "why", "history": [{"role": "user", "content": NUL}]}, "history[0].content"),
])
def test_nul_in_search_and_questions(http, path, body, field):
    assert field_of(http.post(path, json=body)) == field


def test_nul_in_a_chat_message(http):
    response = http.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": f"a{NUL}"}]})
    assert response.status_code == 422 and response.json()["error"]["param"] == "messages[0].content"


@pytest.mark.parametrize("timestamp", ["9999-99-99T99:99:99.999999Z", "2026-02-30T10:00:00.000000Z", "2026-01-01T24:00:00.000000Z"])
def test_an_impossible_cursor(http, timestamp):
    cursor = base64.urlsafe_b64encode(f"{timestamp}|6bcef0b9-a549-449f-8710-7a5c205d0d0e".encode()).decode().rstrip("=")
    response = http.get("/v1/documents", params={"cursor": cursor})
    assert field_of(response) == "cursor"
    assert "not a cursor this server issued" in response.json()["detail"]


def test_titles_not_given_are_held_to_the_title_limit(http):
    long_name = "n" * 5000 + ".txt"
    from_filename = http.post("/v1/documents", files={"file": (long_name, b"filename title body", "text/plain")})
    assert from_filename.status_code == 201, from_filename.text
    html = f"<html><head><title>{'t' * 3000}</title></head><body>html title body</body></html>"
    from_html = http.post("/v1/documents", content=html.encode(), headers={"content-type": "text/html"})
    assert from_html.status_code == 201, from_html.text
    for document in (from_filename.json(), from_html.json()):
        assert len(document["title"]) <= 512
        assert http.delete(f"/v1/documents/{document['id']}").status_code == 204


def test_query_title_on_a_json_upload_is_checked_too(http):
    response = http.post("/v1/documents?title=" + "x" * 600, json={"title": "t", "text": "never stored"})
    assert field_of(response) == "title"


# ---- nginx's own answers ----------------------------------------------------------

def raw_request(data: bytes) -> tuple[int, dict, bytes]:
    """Sends bytes as they are (what httpx would refuse to send) and reads the answer."""
    origin = urllib.parse.urlsplit(ragd_live.URL)
    context = ragd_live.tls()
    with socket.create_connection((origin.hostname, origin.port or 443), timeout=10) as plain:
        with context.wrap_socket(plain, server_hostname=origin.hostname) as tls:
            tls.sendall(data)
            received = b""
            while chunk := tls.recv(65536):
                received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    return int(lines[0].split()[1]), headers, body


def assert_problem(status, headers, body, expected):
    assert status == expected
    assert headers["content-type"] == "application/problem+json"
    problem = json.loads(body)
    assert problem["status"] == expected and problem["request_id"] == headers["x-request-id"]


def test_trace_gets_the_routes_allow_header(http):
    response = http.request("TRACE", "/v1/search")
    assert response.status_code == 405 and response.headers["allow"] == "POST"
    assert response.headers["content-type"] == "application/problem+json"
    openai_route = http.request("TRACE", "/v1/models")
    assert openai_route.status_code == 405 and openai_route.json()["error"]["code"] == "method_not_allowed"


def test_nginx_refusals_are_problem_json():
    assert_problem(*raw_request(b"GET /v1/documents?x=" + b"a" * 20000 + b" HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"), 414)
    assert_problem(*raw_request(b"GET /health HTTP/1.1\r\nHost: localhost\r\nX-Big: " + b"a" * 20000 + b"\r\nConnection: close\r\n\r\n"), 431)
    assert_problem(*raw_request(b"POST /v1/search HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: gzip\r\nConnection: close\r\n\r\n"), 501)
    assert_problem(*raw_request(b"GARBAGE\r\n\r\n"), 400)


def test_a_document_without_words_does_not_break_the_next_ones():
    # Found by schemathesis: a tenant whose only chunks had no search terms (average
    # length 0) made every later ingest divide by zero in PostgreSQL (502).
    tenant = ragd_live.new_tenant("noterms")
    with httpx.Client(base_url=ragd_live.URL, verify=ragd_live.tls(),
                      headers={"Authorization": f"Bearer {ragd_live.token(tenant)}"}) as client:
        wordless = client.post("/v1/documents", content="± · ±".encode(), headers={"content-type": "text/plain"})
        assert wordless.status_code == 201, wordless.text
        worded = client.post("/v1/documents", json={"title": "pump", "text": "the zorblat pump hums"})
        assert worded.status_code == 201, worded.text
        hits = client.post("/v1/search", json={"query": "zorblat pump", "mode": "keyword"}).json()["results"]
        assert [hit["document_id"] for hit in hits] == [worded.json()["id"]]
