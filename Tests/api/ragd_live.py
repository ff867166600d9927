"""Where the live stack is and how to reach it, for the API suite and schemathesis hooks.

Environment (scripts/api-check.sh sets them; the defaults are the local stack's):
  RAGD_URL       the public HTTPS origin through nginx (https://127.0.0.1:8443)
  RAGD_CA        the CA bundle for its certificate (.stack/tls/tls.crt)
  RAGD_ENV_FILE  ragd's env file, for SECRET_KEY (.stack/ragd.env)
"""
import os
import ssl
import time
import uuid
from pathlib import Path

import jwt

REPO = Path(__file__).resolve().parents[2]
URL = os.environ.get("RAGD_URL", "https://127.0.0.1:8443").rstrip("/")
CA = os.environ.get("RAGD_CA", str(REPO / ".stack/tls/tls.crt"))
ENV_FILE = os.environ.get("RAGD_ENV_FILE", str(REPO / ".stack/ragd.env"))
ALL_SCOPES = "documents:read documents:write query"


def tls() -> ssl.SSLContext:
    """Verifies the stack's certificate (httpx's `verify=`)."""
    return ssl.create_default_context(cafile=CA)


def secret_key() -> str:
    for line in Path(ENV_FILE).read_text().splitlines():
        if line.startswith("SECRET_KEY="):
            return line.split("=", 1)[1].strip().strip('"')
    raise RuntimeError(f"no SECRET_KEY in {ENV_FILE}")


def token(tenant: str, scope: str = ALL_SCOPES, subject: str | None = None, ttl: int = 3600) -> str:
    """An HS256 JWT as `ragd token` mints it."""
    claims = {"sub": subject or f"api-suite-{uuid.uuid4().hex[:12]}", "tenant": tenant, "scope": scope,
              "exp": int(time.time()) + ttl}
    return jwt.encode(claims, secret_key(), algorithm="HS256")


def new_tenant(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"
