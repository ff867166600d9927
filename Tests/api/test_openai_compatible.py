"""ragd through the clients teams already use: the official `openai` SDK and LangChain's
ChatOpenAI, pointed at /v1 with a ragd token as the API key, nothing else changed."""
import json

import httpx
import openai
import pytest
from langchain_openai import ChatOpenAI

import ragd_live


@pytest.fixture(scope="module")
def client(token):
    return openai.OpenAI(base_url=ragd_live.URL + "/v1", api_key=token, max_retries=0,
                         http_client=httpx.Client(verify=ragd_live.tls(), timeout=60))


def test_a_cited_answer(client, pump_manual):
    completion = client.chat.completions.create(
        model="ragd", messages=[{"role": "system", "content": "Answer briefly."},
                                {"role": "user", "content": "How often must the zorblat pump be oiled?"}])
    choice = completion.choices[0]
    assert completion.object == "chat.completion" and completion.model == "ragd"
    assert choice.finish_reason == "stop" and choice.message.role == "assistant"
    assert "[1]" in choice.message.content
    citations = choice.message.model_extra["citations"]
    assert citations and citations[0]["document_id"] == pump_manual["id"] and citations[0]["n"] == 1
    assert completion.usage.total_tokens == completion.usage.prompt_tokens + completion.usage.completion_tokens > 0
    assert any(source["document_id"] == pump_manual["id"] for source in completion.model_extra["sources"])


def test_a_streamed_answer_keeps_its_citations(client, pump_manual):
    question = "At what speed does the zorblat impeller turn?"
    stream = client.chat.completions.create(model="ragd", stream=True, stream_options={"include_usage": True},
                                            messages=[{"role": "user", "content": question}])
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert any(s["document_id"] == pump_manual["id"] for s in chunks[0].model_extra["sources"])
    deltas = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert len(deltas) > 1, "the answer arrives in pieces"
    final = [c for c in chunks if c.choices and c.choices[0].finish_reason][-1]
    assert final.choices[0].finish_reason == "stop"
    assert final.model_extra["citations"][0]["document_id"] == pump_manual["id"]
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens > 0
    # The same question again is served from the cache: the deltas, in order, were the answer.
    again = client.chat.completions.create(model="ragd", messages=[{"role": "user", "content": question}])
    assert "".join(deltas) == again.choices[0].message.content


def test_the_stream_is_openai_server_sent_events_ending_with_done(token, pump_manual):
    body = {"model": "ragd", "stream": True, "messages": [{"role": "user", "content": "Which oil does the zorblat pump need?"}]}
    with httpx.Client(verify=ragd_live.tls(), timeout=60) as http:
        with http.stream("POST", ragd_live.URL + "/v1/chat/completions", json=body,
                         headers={"Authorization": f"Bearer {token}"}) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            lines = [line for line in response.iter_lines() if line and not line.startswith(":")]
    assert all(line.startswith("data: ") for line in lines), "only data lines, no named events"
    assert lines[-1] == "data: [DONE]"
    assert lines.count("data: [DONE]") == 1
    payloads = [json.loads(line[6:]) for line in lines[:-1]]
    assert "sources" in payloads[0] and "citations" in payloads[-1]


def test_retrieval_options_travel_in_the_extension_object(client, pump_manual):
    completion = client.chat.completions.create(
        model="ragd", messages=[{"role": "user", "content": "When is the seal replaced?"}],
        extra_body={"ragd": {"top_k": 1, "filter": {"document_ids": [pump_manual["id"]]}}})
    sources = completion.model_extra["sources"]
    assert [s["document_id"] for s in sources] == [pump_manual["id"]]


def test_models(client):
    assert [model.id for model in client.models.list()] == ["ragd"]
    assert client.models.retrieve("ragd").owned_by == "ragd"
    with pytest.raises(openai.NotFoundError) as missing:
        client.models.retrieve("gpt-4o")
    assert missing.value.body["code"] == "model_not_found"


def test_typed_errors(client, tenant):
    with pytest.raises(openai.AuthenticationError) as unauthorized:
        openai.OpenAI(base_url=ragd_live.URL + "/v1", api_key="not-a-token", max_retries=0,
                      http_client=httpx.Client(verify=ragd_live.tls())).models.list()
    assert unauthorized.value.body["code"] == "invalid_api_key"

    with pytest.raises(openai.UnprocessableEntityError) as refused:
        client.chat.completions.create(model="ragd", n=2, messages=[{"role": "user", "content": "q"}])
    assert refused.value.body["param"] == "n"

    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "q"}])

    # The rate limit is per token subject: a subject of its own spends its own budget.
    limited = openai.OpenAI(base_url=ragd_live.URL + "/v1", api_key=ragd_live.token(tenant), max_retries=0,
                            http_client=httpx.Client(verify=ragd_live.tls()))
    budget = int(limited.models.with_raw_response.list().headers["ratelimit-limit"])
    assert budget <= 1000, "the stack's rate limit is too high to reach in this test"
    with pytest.raises(openai.RateLimitError) as too_many:
        for _ in range(budget + 1):
            limited.models.list()
    assert too_many.value.body["type"] == "rate_limit_error"
    assert int(too_many.value.response.headers["retry-after"]) >= 1


def test_langchain_chat_openai(token, pump_manual):
    chat = ChatOpenAI(model="ragd", base_url=ragd_live.URL + "/v1", api_key=token, max_retries=0,
                      http_client=httpx.Client(verify=ragd_live.tls(), timeout=60))
    answer = chat.invoke("How often must the zorblat pump be oiled? (LangChain)")
    assert "[1]" in answer.content
    pieces = [chunk.content for chunk in chat.stream("What seal interval does the zorblat pump have? (LangChain)")]
    assert len([p for p in pieces if p]) > 1 and "[1]" in "".join(pieces)
