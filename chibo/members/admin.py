from django.contrib import admin

from chibo.members.models import Member, Membership


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ("full_name", "organisation", "status", "party_position")
    list_filter = ("status", "party_position")
    search_fields = ("full_name", "search_ascii", "card_number")
    raw_id_fields = ("organisation", "party_group")
    exclude = ("cccd_encrypted", "cccd_hash")


admin.site.register(Membership)
