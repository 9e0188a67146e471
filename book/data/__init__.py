"""The chapters' precomputed results (JSON), installed as ``glove_lite.bookdata``; see glove_lite.bookdata_path."""
