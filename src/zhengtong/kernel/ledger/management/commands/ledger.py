"""`zhengtong ledger verify|sequence|publish|status`: operate and check the tamper-evident log."""

from django.core.management.base import BaseCommand, CommandError

from zhengtong.kernel.ledger import selectors, services
from zhengtong.kernel.ledger.errors import LedgerNotFound
from zhengtong.kernel.ledger.verification import ledger_verify

SHOWN_PROBLEMS = 50


class Command(BaseCommand):
    help = "The ledger: verify the whole log, sequence pending entries, publish a signed tree head, show status."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="{verify,sequence,publish,status}")
        actions.add_parser(
            "verify",
            help="recompute every leaf hash, the whole tree, every stored node and every tree head; "
            "exit 1 naming what is wrong",
        )
        sequence = actions.add_parser("sequence", help="give pending entries their indexes now")
        sequence.add_argument("--max-batch", type=int, default=1000)
        actions.add_parser("publish", help="sequence, then sign and publish a tree head if the log grew")
        actions.add_parser("status", help="size, pending entries and the latest tree head")

    def handle(self, *args, action, **options):
        getattr(self, f"handle_{action}")(**options)

    def handle_verify(self, **options):
        report = ledger_verify(
            progress=lambda count: self.stderr.write(f"  {count:,} leaves checked…") if options["verbosity"] > 1 else None
        )
        summary = (
            f"{report.leaves:,} leaves, {report.pending:,} pending, {report.nodes:,} nodes and "
            f"{report.tree_heads:,} tree heads checked ({report.hash_algorithm})"
        )
        if report.ok:
            self.stdout.write(self.style.SUCCESS(f"ledger verified: {summary}"))
            return
        for problem in report.problems[:SHOWN_PROBLEMS]:
            self.stderr.write(f"[{problem.code}] {problem}")
        hidden = report.problem_count - min(len(report.problems), SHOWN_PROBLEMS)
        if hidden:
            self.stderr.write(f"… and {hidden:,} more")
        raise CommandError(f"ledger verification FAILED: {report.problem_count:,} problems; {summary}")

    def handle_sequence(self, max_batch, **options):
        count = services.ledger_sequence(max_batch=max_batch)
        self.stdout.write(f"{count:,} entries sequenced; the log has {selectors.ledger_size():,} leaves")

    def handle_publish(self, **options):
        services.ledger_sequence()
        head = services.ledger_publish_tree_head()
        self.stdout.write(
            f"tree head: size {head.tree_size:,}, root {head.root_hash.hex()} ({head.hash_algorithm}), "
            f"{head.signature_algorithm} signature by {head.key_id}"
        )

    def handle_status(self, **options):
        from django.db.models import F, Sum

        from zhengtong.kernel.ledger.models import LedgerPending

        pending = LedgerPending.objects.aggregate(n=Sum(F("leaf_count") - F("sequenced")))["n"] or 0
        self.stdout.write(f"leaves: {selectors.ledger_size():,} sequenced, {pending:,} pending")
        try:
            head = selectors.tree_head_get()
        except LedgerNotFound:
            self.stdout.write("no tree head published yet")
            return
        self.stdout.write(f"latest tree head: size {head.tree_size:,}, root {head.root_hash.hex()}")
