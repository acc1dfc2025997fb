"""Public statistics: stop and search from the data.police.uk files (disproportionality with its
uncertainty, coverage, breakdowns) and the complaint side from the case records."""
