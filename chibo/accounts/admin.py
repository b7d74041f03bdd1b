from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from chibo.accounts.models import ApiToken, RoleAssignment, User


class RoleInline(admin.TabularInline):
    model = RoleAssignment
    raw_id_fields = ("organisation",)
    extra = 0


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        ("chibo", {"fields": ("display_name", "member", "officer_title", "two_factor_exempt")}),
    )
    raw_id_fields = ("member",)
    inlines = [RoleInline]


admin.site.register(ApiToken)
