"""Schemathesis hooks for scripts/api-check.sh (SCHEMATHESIS_HOOKS=schemathesis_hooks).

Every generated request gets a token of its own subject, all in one tenant: the fuzzer
then exercises the API instead of spending its cases on 429s from the per-subject rate
limit (429 stays a documented answer of every /v1 operation), and the stateful phase can
still read back the documents it created.
"""
import schemathesis

import ragd_live

TENANT = ragd_live.new_tenant("fuzz")


@schemathesis.auth(refresh_interval=None)
class FreshSubject:
    def get(self, case, ctx):
        return ragd_live.token(TENANT)

    def set(self, case, data, ctx):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"
