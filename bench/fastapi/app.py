"""GET /health in FastAPI: the baseline a Python RAG service would ship with.

Run under gunicorn with Uvicorn workers, as in production:
    gunicorn -w 2 -k uvicorn.workers.UvicornWorker -b unix:/tmp/app.sock app:app
"""

from datetime import datetime, timezone

from fastapi import FastAPI

app = FastAPI()


@app.get("/health")
async def health() -> dict:
    # async def: a plain def would go through the thread pool and be slower.
    return {"status": "healthy", "timestamp": datetime.now(timezone.utc).isoformat()}
