"""Cloudflare Turnstile and hCaptcha: the token a visitor's browser got from the widget is checked with
the provider's siteverify endpoint (form-encoded secret, response, remoteip; JSON {"success": ...})."""

import httpx

from shared.business.sources import Captcha


class CaptchaUnavailable(Exception):
    pass


async def captcha_passed(http: httpx.AsyncClient, captcha: Captcha, token: str | None, remote_ip: str | None) -> bool:
    if not token or len(token) > 2048:
        return False
    data = {"secret": captcha.secret.get_secret_value(), "response": token}
    if remote_ip:
        data["remoteip"] = remote_ip
    try:
        response = await http.post(captcha.siteverify, data=data)
        answer = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise CaptchaUnavailable(f"{captcha.provider} siteverify unreachable: {type(exc).__name__}") from exc
    if response.status_code >= 500:
        raise CaptchaUnavailable(f"{captcha.provider} siteverify answered {response.status_code}")
    return isinstance(answer, dict) and answer.get("success") is True
