"""A worker process for the crash tests (spawned, so it imports this module): a real import-folder."""
from __future__ import annotations


def import_folder(config: dict, folder: str) -> None:
    """Run `gallery import-folder` on folder with the test's database and directories."""
    from gallery import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "test", **config})
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["import-folder", folder, "--gallery", "Crash test",
                                                    "--category", "Health",
                                                    # One process: each file is stored before the
                                                    # next is read, where the crash test expects.
                                                    "--workers", "1"])
    print(result.output, result.exception, flush=True)  # shown by pytest when the test fails
