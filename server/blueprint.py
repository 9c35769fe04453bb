"""A flask-smorest Blueprint that documents error responses in one line."""

from http import HTTPStatus

import flask_smorest


class Blueprint(flask_smorest.Blueprint):
    def errors(self, *statuses: int):
        """Document each status as a problem+json error response of this operation."""

        def decorator(func):
            for status in statuses:
                func = self.alt_response(status, response=HTTPStatus(status).name)(func)
            return func

        return decorator

    def before_password_change(self, func):
        """Allow an operation to a user who must still change their password."""
        func.doorstep_before_password_change = True
        return func

    def public(self, func):
        """Mark an operation as needing no bearer token (see ``context.authenticate``)."""
        func.doorstep_public = True
        return self.doc(security=[])(func)
