"""What other modules may use of kernel.identity: who is acting, as a frozen reference."""

from dataclasses import dataclass

from .api_errors import django_error_response
from .authentication import ApiClientPrincipal
from .models import AccountKind

__all__ = ["AccountKind", "Actor", "actor_from_user", "django_error_response"]


@dataclass(frozen=True)
class Actor:
    """The caller of a service or selector: what it may see is derived from these fields only."""

    kind: str  # citizen, company, staff, api_client, anonymous
    user_id: int | None = None
    citizen_id: int | None = None
    company_id: int | None = None
    department_id: int | None = None
    division_code: str | None = None
    roles: frozenset[str] = frozenset()
    api_client_id: int | None = None
    is_superuser: bool = False

    @property
    def is_staff_member(self) -> bool:
        return self.kind == AccountKind.STAFF and self.department_id is not None

    def has_role(self, role: str) -> bool:
        return role in self.roles


ANONYMOUS = Actor(kind="anonymous")


def actor_from_user(user) -> Actor:
    """Build the Actor for request.user (a User, an API client principal or AnonymousUser)."""
    if user is None or not user.is_authenticated:
        return ANONYMOUS
    if isinstance(user, ApiClientPrincipal):
        return Actor(kind="api_client", api_client_id=user.client_id, department_id=user.department_id,
                     roles=user.scopes)
    if user.kind == AccountKind.CITIZEN:
        citizen = getattr(user, "citizen", None)
        return Actor(kind=user.kind, user_id=user.id, citizen_id=citizen.id if citizen else None)
    if user.kind == AccountKind.COMPANY:
        company = getattr(user, "company", None)
        return Actor(kind=user.kind, user_id=user.id, company_id=company.id if company else None)
    member = getattr(user, "staff_member", None)
    if member is None:
        return Actor(kind=user.kind, user_id=user.id, is_superuser=user.is_superuser)
    return Actor(
        kind=user.kind,
        user_id=user.id,
        department_id=member.department_id,
        division_code=member.department.division.code,
        roles=frozenset(member.roles),
        is_superuser=user.is_superuser,
    )
