"""Records: the item record and citation, the one conversion from records to a frame, table I/O."""
