from kg.cli.main import cli

cli()
