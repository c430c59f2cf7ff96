"""The staff accounts, listed for admin: one page at a time, read page by page from the database."""

from __future__ import annotations

from inventory.staff import User
from provisioner.web.navigation import ADMIN_ROLES
from provisioner.web.page_handler import PageError, PageHandler

PER_PAGE = 50


class UserListPage(PageHandler):
    """GET: the staff accounts by user name, ?page= (admin only)."""

    roles = ADMIN_ROLES
    route = "/staff/admin/users"

    def get(self) -> None:
        asked = self.get_query_argument("page", "1")
        if not asked.isdigit() or not 1 <= int(asked) <= 1_000_000:
            raise PageError(400, "error.400")
        page = int(asked)
        query = User.objects.only("username", "display_name", "roles", "language", "active",
                                  "must_change_password", "updated_at")
        total = query.count()
        pages = max(1, -(-total // PER_PAGE))
        users = list(query.order_by("username").skip((page - 1) * PER_PAGE).limit(PER_PAGE))
        self.render_page("users.html", users=users, page=page, pages=pages, total=total)
