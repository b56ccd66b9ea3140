from app.core.errors import Unauthorized


class InvalidCredentials(Unauthorized):
    code = "invalid_credentials"
    title = "Wrong username or password"


class InvalidToken(Unauthorized):
    code = "invalid_token"
    title = "The access token is missing, malformed or expired"
