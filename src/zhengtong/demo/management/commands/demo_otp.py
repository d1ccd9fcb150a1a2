"""`zhengtong demo_otp LOGIN`: print a demo staff member's current TOTP code (development only)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from zhengtong.demo.province import DEMO_STAFF


class Command(BaseCommand):
    help = "Print the current TOTP code of a demo staff account (refused for other accounts)."

    def add_arguments(self, parser):
        parser.add_argument("login")

    def handle(self, *args, login, **options):
        if login not in {spec.username for spec in DEMO_STAFF}:
            raise CommandError(f"{login} 不是演示工作人员账号 / {login} is not a demo staff account")
        device = TOTPDevice.objects.filter(user__username=login, confirmed=True).first()
        if device is None:
            raise CommandError(f"{login} 尚无动态验证码设备 / {login} has no TOTP device; run `zhengtong demo` first")
        code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
        self.stdout.write(f"{code:0{device.digits}d}")
        if not settings.DEBUG:
            self.stderr.write("注意：仅用于演示 / Note: for the demo only.")
