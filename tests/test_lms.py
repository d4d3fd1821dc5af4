"""Moodle and Canvas both ways (tools/grading/lms.py): their download zips read, their upload files written in the
documented formats (see the module's docstring for the sources)."""
from __future__ import annotations

import csv
import io
import zipfile

import pytest

from tools.grading import lms

NB = "01_linear_regression"
NOTEBOOK = b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'


def make_zip(path, entries: dict[str, bytes]):
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_moodle_download_all_submissions_in_folders_and_flat(tmp_path):
    archive = make_zip(tmp_path / "moodle.zip", {
        "Ada Lovelace_123456_assignsubmission_file_/01_linear_regression.ipynb": NOTEBOOK,
        "Ada Lovelace_123456_assignsubmission_file_/notes.txt": b"notes",
        "Émile Zola_222_assignsubmission_file_01_linear_regression (1).ipynb": NOTEBOOK + b" ",
        "Bob Two Files_333_assignsubmission_file_/a.ipynb": NOTEBOOK,
        "Bob Two Files_333_assignsubmission_file_/b.ipynb": NOTEBOOK,
        "index.html": b"<p>not a submission</p>",
    })
    people, missing = lms.unpack("moodle", archive, NB, tmp_path / "subs")
    assert {p.moodle_id: p.name for p in people} == {"123456": "Ada Lovelace", "222": "Émile Zola", "333": "Bob Two Files"}
    assert (tmp_path / "subs" / "Ada Lovelace_123456" / f"{NB}.ipynb").read_bytes() == NOTEBOOK
    assert (tmp_path / "subs" / "Émile Zola_222" / f"{NB}.ipynb").read_bytes() == NOTEBOOK + b" "
    assert missing == ["Bob Two Files: no single notebook among the files handed in"]
    roster = lms.read_roster(tmp_path / "subs" / lms.ROSTER)
    assert roster["Ada Lovelace_123456"].moodle_id == "123456"


def test_canvas_download_submissions_with_late_work(tmp_path):
    archive = make_zip(tmp_path / "canvas.zip", {
        "lovelaceada_12345_67890_01_linear_regression.ipynb": NOTEBOOK,
        "zolaemile_late_222_333_01_linear_regression-1.ipynb": NOTEBOOK,
    })
    people, missing = lms.unpack("canvas", archive, NB, tmp_path / "subs")
    by_id = {p.canvas_id: p for p in people}
    assert not missing and set(by_id) == {"12345", "222"}
    assert by_id["222"].late == "late" and by_id["12345"].late == ""
    assert (tmp_path / "subs" / "lovelaceada_12345" / f"{NB}.ipynb").is_file()


def test_not_a_platform_zip_and_a_zip_bomb_are_refused(tmp_path):
    with pytest.raises(lms.LmsError, match="Download all submissions"):
        lms.read_moodle(make_zip(tmp_path / "x.zip", {"a.ipynb": NOTEBOOK}), NB)
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a_1_2_x.ipynb", b"0" * (17 * 2**20))
    with pytest.raises(lms.LmsError, match="larger than a notebook"):
        lms.read_canvas(bomb, NB)


def test_moodle_grading_worksheet_and_feedback_zip():
    people = {"ada": lms.Participant("ada", name="Ada Lovelace", email="ada@example.edu", moodle_id="123456"),
              "eve": lms.Participant("eve", name="=cmd|' /C calc'!A0", moodle_id="7")}
    comment = lms.comment(3, 5, [("1.1", "passed", ""), ("1.2", "failed", "<img src=x onerror=alert(1)>")], late=True)
    grades = [lms.Grade("ada", NB, 3, 5, comment), lms.Grade("eve", NB, 5, 5, ""), lms.Grade("nobody", NB, 1, 5, "")]
    text, left_out = lms.moodle_worksheet(grades, people)
    table = rows(text)
    assert table[0] == ["Identifier", "Full name", "Email address", "Grade", "Maximum Grade", "Feedback comments"]
    assert table[1][:5] == ["Participant 123456", "Ada Lovelace", "ada@example.edu", "3", "5"]
    assert "&lt;img" in table[1][5] and "<img" not in table[1][5] and "(submitted late)" in table[1][5]
    assert table[2][1].startswith("'="), "a name a spreadsheet would run as a formula is made inert"
    assert left_out == ["nobody"]
    data = lms.moodle_feedback_zip([(people["ada"], "01-feedback.html", b"<html></html>")])
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert names == ["Ada Lovelace_123456_assignsubmission_file_/01-feedback.html"]


def test_canvas_gradebook_import_csv():
    people = {"ada": lms.Participant("ada", name="Lovelace, Ada", canvas_id="12345", sis_user_id="S1",
                                     sis_login_id="ada", section="Group A")}
    grades = [lms.Grade("ada", NB, 3, 5), lms.Grade("ada", "02_gradient_descent", 2, 4), lms.Grade("bob", NB, 1, 5)]
    titles = {NB: lms.canvas_column(NB, 4321), "02_gradient_descent": lms.canvas_column("02_gradient_descent", None)}
    text, left_out = lms.canvas_gradebook(grades, people, titles)
    table = rows(text)
    assert table[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", f"{NB} (4321)",
                        "02_gradient_descent"]
    assert table[1][0].strip() == "Points Possible" and table[1][5:] == ["5", "4"]
    assert table[2] == ["Lovelace, Ada", "12345", "S1", "ada", "Group A", "3", "2"]
    assert left_out == ["bob"] and len(table) == 3


def test_round_trip_from_the_graders_csv(tmp_path):
    results = tmp_path / "results"
    (results / "feedback" / "Ada Lovelace_123456").mkdir(parents=True)
    (results / "feedback" / "Ada Lovelace_123456" / f"{NB}.html").write_text("<p>page</p>")
    (results / "grades.csv").write_text(
        "student,notebook,exercise,points,max_points,status,message\n"
        f"Ada Lovelace_123456,{NB},1.1,1,1,passed,\nAda Lovelace_123456,{NB},1.2,0,1,failed,'=wrong\n")
    lms.write_roster(tmp_path / "roster.csv", [lms.Participant("Ada Lovelace_123456", "Ada Lovelace", moodle_id="123456")])
    assert lms.main(["moodle", str(results), "--notebook", NB, "--roster", str(tmp_path / "roster.csv")]) == 0
    table = rows((results / f"moodle-{NB}-worksheet.csv").read_text())
    assert table[1][:5] == ["Participant 123456", "Ada Lovelace", "", "1", "2"] and "1.2: failed: =wrong" in table[1][5]
    names = zipfile.ZipFile(results / f"moodle-{NB}-feedback.zip").namelist()
    assert names == [f"Ada Lovelace_123456_assignsubmission_file_/{NB}-feedback.html"]


def test_names_in_a_zip_never_write_outside_the_folder(tmp_path):
    into = tmp_path / "a" / "subs"
    for platform, names in {
        "moodle": ["../../Eve_1_assignsubmission_file_/01_linear_regression.ipynb",
                   "..\\..\\Eve_2_assignsubmission_file_01_linear_regression.ipynb",
                   "/etc/Eve_3_assignsubmission_file_/01_linear_regression.ipynb",
                   ".._4_assignsubmission_file_/01_linear_regression.ipynb"],
        "canvas": ["../../eve_5_6_01_linear_regression.ipynb", "/tmp/eve_7_8_01_linear_regression.ipynb"],
    }.items():
        archive = make_zip(tmp_path / f"{platform}.zip", {name: NOTEBOOK for name in names})
        people, missing = lms.unpack(platform, archive, NB, into)
        assert len(people) == len(names) and not missing
    written = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.ipynb"))
    assert all(p.parts[:2] == ("a", "subs") and len(p.parts) == 4 for p in written), written
    assert len(written) == 6
