from django.contrib import admin

from chibo.organisations.models import Organisation, OrganisationMove, Term


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "code", "parent", "path")
    list_filter = ("kind",)
    search_fields = ("name", "code")
    raw_id_fields = ("parent", "supervisor")
    readonly_fields = ("path", "depth")


admin.site.register(Term)
admin.site.register(OrganisationMove)
