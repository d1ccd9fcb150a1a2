"""`zhengtong link CONFIG`: run a linkage on any tables given a column mapping (a TOML config).

    zhengtong link docs/examples/link-persons.toml
    zhengtong link config.toml --decisions decisions.csv   # left_record_id,right_record_id,accepted
    zhengtong link --generate 10000 /tmp/persons            # sample departmental files + a config
    zhengtong link --generate 2000 /tmp/companies --companies

Writes records, pairs (with match probabilities) and clusters as Parquet and report.json into the
config's output folder, and prints a summary. The engine needs no database: this command reads no
registry table and changes none (`zhengtong registry_run` is the one that updates the registry).
Messages are in Chinese unless --lang en (or an English LANG) asks for English.
"""

import csv
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from zhengtong.data.registry.linkage.config import LinkageConfigError, config_load, language
from zhengtong.data.registry.linkage.engine import STEPS, linkage_run
from zhengtong.data.registry.linkage.spec import ClericalDecision

TEXT = {
    "zh": {
        "steps": {"normalise": "规范化", "deterministic": "确定性匹配", "probabilistic": "概率匹配 (Splink)",
                  "decisions": "人工裁决", "clusters": "聚类", "write": "写出结果", "done": "完成"},
        "summary": "{records} 条记录 → {clusters} 个实体；链接对 {links}（确定性 {det}，概率 {prob}，人工 {clerical}），"
                   "待人工复核 {review}，有效证件号 {valid}，15 位旧号转换 {converted}；用时 {seconds:.1f} 秒。",
        "written": "结果已写入 {output}（records.parquet、pairs.parquet、clusters.parquet、report.json）。",
        "generated": "已在 {folder} 生成 {persons} 人、{records} 条部门记录（{files}）及真值 truth.parquet；"
                     "运行：zhengtong link {config}",
        "need_config": "请给出配置文件，或用 --generate N 目录 生成示例数据。",
        "decisions_bad": "人工裁决文件 {file} 第 {row} 行无法读取：需要 left_record_id、right_record_id、accepted 三列。",
        "decisions_missing": "人工裁决文件 {file} 不存在。",
    },
    "en": {
        "steps": {"normalise": "normalising", "deterministic": "deterministic pass", "probabilistic":
                  "probabilistic pass (Splink)", "decisions": "clerical decisions", "clusters": "clusters",
                  "write": "writing", "done": "done"},
        "summary": "{records} records -> {clusters} entities; {links} pairs linked ({det} deterministic, {prob} "
                   "probabilistic, {clerical} clerical), {review} for clerical review; {valid} valid IDs, {converted} "
                   "legacy IDs converted; {seconds:.1f} s.",
        "written": "Written to {output} (records.parquet, pairs.parquet, clusters.parquet, report.json).",
        "generated": "Wrote {persons} persons as {records} departmental records ({files}) and truth.parquet in "
                     "{folder}; run: zhengtong link {config}",
        "need_config": "Give a config file, or --generate N FOLDER to write sample data.",
        "decisions_bad": "Row {row} of the decisions file {file} cannot be read: it needs left_record_id, "
                         "right_record_id and accepted.",
        "decisions_missing": "The decisions file {file} does not exist.",
    },
}
TRUE = {"1", "true", "yes", "y", "t", "accepted", "accept", "是", "接受"}


def decisions_read(path: Path, text: dict) -> list[ClericalDecision]:
    if not path.is_file():
        raise CommandError(text["decisions_missing"].format(file=path))
    decisions = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row_number, row in enumerate(csv.DictReader(handle), start=2):
            try:
                decisions.append(ClericalDecision(left_record_id=row["left_record_id"], right_record_id=row["right_record_id"],
                                                  accepted=row["accepted"].strip().lower() in TRUE))
            except (KeyError, AttributeError):
                raise CommandError(text["decisions_bad"].format(file=path, row=row_number)) from None
    return decisions


class Command(BaseCommand):
    help = "Link records across tables given a column mapping (TOML config): pairs with match probabilities, clusters."

    def add_arguments(self, parser):
        parser.add_argument("config", nargs="?", help="The linkage config (TOML).")
        parser.add_argument("--decisions", help="Clerical decisions (CSV: left_record_id,right_record_id,accepted).")
        parser.add_argument("--lang", choices=["zh", "en"], help="Language of messages (default: Chinese, or LANG).")
        parser.add_argument("--generate", nargs=2, metavar=("PERSONS", "FOLDER"),
                            help="Write a synthetic population's departmental files, its truth and a config, then stop.")
        parser.add_argument("--seed", type=int, default=1, help="Seed of --generate.")
        parser.add_argument("--companies", action="store_true", help="With --generate: companies instead of persons.")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args, config=None, decisions=None, lang=None, generate=None, seed=1, no_progress=False,
               companies=False, **options):
        text = TEXT[language(lang)]
        if generate:
            return self.generate(int(generate[0]), Path(generate[1]), seed, text, companies=companies)
        if not config:
            raise CommandError(text["need_config"])
        try:
            linkage_config = config_load(config)
        except LinkageConfigError as error:
            raise CommandError(error.message(lang)) from None
        decided = decisions_read(Path(decisions), text) if decisions else []
        show = not no_progress and options.get("verbosity", 1) > 0
        bar = tqdm(total=len(STEPS), unit=" steps", file=self.stderr._out, leave=False, disable=not show)

        def progress(step: str, done: int, total: int) -> None:
            bar.set_description(text["steps"].get(step, step))
            bar.update(done - bar.n)

        try:
            result = linkage_run(linkage_config, decisions=decided, progress=progress)
        except LinkageConfigError as error:
            raise CommandError(error.message(lang)) from None
        finally:
            bar.close()
        report = result.report
        by_pass = report["links_by_pass"]
        self.stdout.write(text["summary"].format(
            records=result.records, clusters=result.clusters, links=result.pairs_linked,
            det=by_pass.get("deterministic", 0), prob=by_pass.get("probabilistic", 0), clerical=by_pass.get("clerical", 0),
            review=result.pairs_for_review, valid=report["records_with_valid_id"], converted=report["legacy_ids_converted"],
            seconds=result.seconds,
        ))
        self.stdout.write(self.style.SUCCESS(text["written"].format(output=result.output)))

    def generate(self, persons: int, folder: Path, seed: int, text: dict, *, companies: bool = False) -> None:
        from zhengtong.data.registry.linkage.synthetic import companies_write, config_toml, population_write

        if companies:
            population = companies_write(folder, companies=persons, seed=seed)
        else:
            population = population_write(folder, persons=persons, seed=seed)
        config = folder / ("link-companies.toml" if companies else "link-persons.toml")
        config.write_text(config_toml(population), encoding="utf-8")
        self.stdout.write(text["generated"].format(
            folder=folder, persons=population.persons, records=population.records,
            files=", ".join(p.name for p in population.files.values()), config=config,
        ))
