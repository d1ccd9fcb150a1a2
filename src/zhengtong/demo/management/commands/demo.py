"""`zhengtong demo --scale N --seed S`: build the demo province and print its accounts."""

import time

from django.core.management.base import BaseCommand, CommandError

from zhengtong.demo.datasets import build_demo_datasets
from zhengtong.demo.exchange import print_demo_exchange
from zhengtong.demo.opendata import print_demo_opendata
from zhengtong.demo.province import DEMO_PASSWORD, PERSONS_PER_SCALE, ProvinceBuilder, demo_accounts
from zhengtong.demo.registries import build_demo_registries
from zhengtong.demo.services import print_demo_services
from zhengtong.kernel.identity.models import Citizen


class Command(BaseCommand):
    help = "Build a deterministic synthetic Zhejiang: divisions, departments, persons, companies, demo accounts."

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=int, default=1,
                            help=f"size: {PERSONS_PER_SCALE:,} persons per unit (1000 → a million)")
        parser.add_argument("--seed", type=int, default=1, help="the same seed builds the same province")
        parser.add_argument("--if-empty", action="store_true",
                            help="do nothing if persons already exist (only print the accounts)")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, scale, seed, if_empty, no_progress, **options):
        if scale < 1:
            raise CommandError("--scale 必须是正整数 / --scale must be a positive integer")
        if Citizen.objects.exists():
            if not if_empty:
                raise CommandError(
                    "数据库中已有演示数据；如需重建，请先清空数据库 / The database already holds persons; "
                    "start from an empty database to rebuild the demo"
                )
            self.stdout.write("演示省份已载入 / The demo province is already loaded.")
            build_demo_registries(progress=not no_progress)  # a province built before the registries
        else:
            started = time.monotonic()
            result = ProvinceBuilder(seed=seed, progress=not no_progress).build(scale=scale)
            # Departments' datasets with realistic dirt, loaded through ingest, so the catalog and the
            # quality pages have content; their problem loops open when the worker handles the loads.
            loaded = build_demo_datasets(seed=seed, progress=not no_progress)
            # The base registries (人口库、法人库) linked from those datasets.
            build_demo_registries(progress=not no_progress)
            self.stdout.write(
                f"演示省份已生成 / Demo province built in {time.monotonic() - started:.1f}s: "
                f"{result.divisions} divisions, {result.departments} departments, "
                f"{result.persons} persons, {result.companies} companies, {len(loaded)} datasets loaded"
            )
        self.print_accounts()
        print_demo_exchange(self.stdout, seed=seed)  # the sharing directory, a basket, and the systems' API keys
        print_demo_opendata(self.stdout, seed=seed)  # the open-data portal's datasets, a developer key, the community
        print_demo_services(self.stdout, seed=seed)  # 一网通办: items, bundles, finder, grants, officers, applications

    def print_accounts(self):
        accounts = demo_accounts()
        self.stdout.write("")
        self.stdout.write(f"演示账号 / Demo accounts (password 密码: {DEMO_PASSWORD})")
        self.stdout.write("  市民和企业登录 Citizens and companies: http://127.0.0.1:8000/account/login/")
        self.stdout.write("  工作人员登录 Staff (password + TOTP): http://127.0.0.1:8000/account/staff/login/")
        for account in accounts:
            line = f"  {account.role:<16} {account.login:<20} {account.name}（{account.where}）"
            if account.totp_secret:
                line += f"  TOTP secret {account.totp_secret}"
            self.stdout.write(line)
        self.stdout.write(
            "  Staff TOTP codes: add the secret to an authenticator app, or run `zhengtong demo_otp LOGIN`;"
            " in development /dev/demo-login/ logs in without a password."
        )
