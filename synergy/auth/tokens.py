"""JWT access and refresh tokens (RFC 8725: one algorithm, every claim checked)."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

import jwt

from synergy.errors import AuthenticationFailed

ALGORITHM = "HS256"
AUDIENCE = "synergy"
ISSUER = "synergy"
REQUIRED_CLAIMS = ["exp", "iat", "nbf", "jti", "sub", "sid", "typ", "aud", "iss"]


def new_token_id() -> str:
    return secrets.token_hex(16)


class TokenCodec:
    def __init__(self, secret: str, *, access_minutes: int, refresh_minutes: int) -> None:
        self.secret = secret
        self.access_lifetime = dt.timedelta(minutes=access_minutes)
        self.refresh_lifetime = dt.timedelta(minutes=refresh_minutes)

    def encode(self, *, kind: str, user_id: int, session_id: str, jti: str,
               lifetime: dt.timedelta) -> str:
        now = dt.datetime.now(dt.UTC)
        claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": str(user_id), "sid": session_id,
                  "jti": jti, "typ": kind, "iat": now, "nbf": now, "exp": now + lifetime}
        return jwt.encode(claims, self.secret, algorithm=ALGORITHM)

    def access_token(self, user_id: int, session_id: str) -> str:
        return self.encode(kind="access", user_id=user_id, session_id=session_id,
                           jti=new_token_id(), lifetime=self.access_lifetime)

    def refresh_token(self, user_id: int, session_id: str, jti: str,
                      lifetime: dt.timedelta | None = None) -> str:
        """A refresh token living ``lifetime`` (default: a whole new session)."""
        return self.encode(kind="refresh", user_id=user_id, session_id=session_id, jti=jti,
                           lifetime=lifetime or self.refresh_lifetime)

    def decode(self, token: str, kind: str) -> dict[str, Any]:
        try:
            claims = jwt.decode(token, self.secret, algorithms=[ALGORITHM], audience=AUDIENCE,
                                issuer=ISSUER, leeway=5,
                                options={"require": REQUIRED_CLAIMS})
        except jwt.ExpiredSignatureError:
            raise AuthenticationFailed("The token has expired.", code="token_expired") from None
        except jwt.PyJWTError:
            raise AuthenticationFailed("The token is invalid.", code="token_invalid") from None
        if claims.get("typ") != kind:
            raise AuthenticationFailed(f"Expected an {kind} token.", code="token_invalid")
        try:
            claims["user_id"] = int(claims["sub"])
        except (TypeError, ValueError):
            raise AuthenticationFailed("The token is invalid.", code="token_invalid") from None
        return claims
