"""The settings page of the senders whose remote images show directly: ``/settings/images``
(the list) and ``POST /settings/images/remove``.

Owns: these two routes over ``remote_images.RemoteImages``. Senders are added from a
message ("Always show images from", ``mail_views``), never typed in here: only a message
whose DMARC passed by our own results may add its sender.

Must not: touch another account's list (the session's account is the only one used).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from courriel.web.context import WebContext
from courriel.web.remote_images import MAX_ADDRESS, RemoteImages

DONE_REMOVED = "removed"


class ImageSenderViews:
    def __init__(self, context: WebContext, remote_images: RemoteImages) -> None:
        self.context = context
        self.remote_images = remote_images

    async def page(self, request: Request) -> Response:
        session = await self.context.require_session(request)
        if isinstance(session, Response):
            return session
        done = request.query_params.get("done")
        return self.context.render(
            request,
            "settings_images.html",
            session=session,
            senders=await self.remote_images.senders(session.account.id),
            message_key="settings.images_removed" if done == DONE_REMOVED else None,
        )

    async def remove(self, request: Request) -> Response:
        session = await self.context.require_session(request)
        if isinstance(session, Response):
            return session
        form = await self.context.check_post(request, session.csrf)
        address = form.get("address", "")
        if not address or len(address) > MAX_ADDRESS:
            return self.context.render(
                request,
                "settings_images.html",
                status=400,
                session=session,
                senders=await self.remote_images.senders(session.account.id),
                message_key="settings.images_bad_address",
            )
        await self.remote_images.forget(session.account.id, address)
        return RedirectResponse(f"/settings/images?done={DONE_REMOVED}", status_code=303)
