/*
 * Plugin side of include/db.h: the host owns ctx->database, so upstream's
 * server-side open and close are refused (compiled into every plugin
 * through cweb_entry.c).
 */


int
sqldb_init(struct sqldb *db, const char *filename)
{
    (void) db;

    cweb_log(CWEB_LOG_ERR, "sqldb_init(\"%s\") refused: the host opens "
             "ctx->database", filename ? filename : "");

    return -1;
}


void
sqldb_shutdown(struct sqldb *db)
{
    (void) db;

    cweb_log(CWEB_LOG_ERR, "sqldb_shutdown() refused: the host closes "
             "ctx->database");
}
