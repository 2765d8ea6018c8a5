"""The HTTP shell's plumbing: problem responses, the signed-in caller, pagination, limits.

Routes (``api/routes/``) use :class:`~api.http.caller.Caller` to authenticate and authorize, and
raise service errors; everything here turns them into ``application/problem+json``.
"""
