from django.contrib import admin

from zhengtong.kernel.crypto.fields import blind_index_filter

from .models import ApiClient, Citizen, Company, StaffMember, User


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ["username", "display_name", "kind", "is_active", "date_joined"]
    list_filter = ["kind", "is_active"]
    search_fields = ["username", "display_name"]
    exclude = ["password"]


@admin.register(Citizen)
class CitizenAdmin(admin.ModelAdmin):
    list_display = ["name", "gender", "birth_date", "division"]
    search_fields = ["name"]
    raw_id_fields = ["division", "user"]
    readonly_fields = ["resident_id_index"]

    def get_search_results(self, request, queryset, search_term):
        # The resident ID is encrypted: an exact ID is found through its blind index.
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if search_term.strip():
            queryset |= self.model.objects.filter(blind_index_filter(self.model, "resident_id", search_term.strip()))
        return queryset, may_have_duplicates


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ["name", "uscc", "kind", "division"]
    search_fields = ["uscc", "name"]
    raw_id_fields = ["division", "user", "legal_representative"]


@admin.register(StaffMember)
class StaffMemberAdmin(admin.ModelAdmin):
    list_display = ["name", "department"]
    raw_id_fields = ["user", "department"]


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    list_display = ["name", "department", "key_prefix", "is_active", "expires_at", "last_used_at"]
    readonly_fields = ["key_prefix", "key_hash", "last_used_at"]
