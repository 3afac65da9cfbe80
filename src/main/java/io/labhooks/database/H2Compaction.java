package io.labhooks.database;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

import javax.sql.DataSource;

import org.h2.engine.SessionLocal;
import org.h2.jdbc.JdbcConnection;
import org.h2.mvstore.MVStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Rewrites the half-empty chunks of an embedded H2 file database, the work H2's own background thread does when
 * commits may be written late. With every commit written at once ({@link H2Durability}, WRITE_DELAY=0) H2 starts
 * no such thread (h2database issue 442): each commit appends a chunk, a chunk that keeps even one live page is never
 * reused, and the file grew by about 80 KB per event (9 GB for 110,000 in bench/README.md), with every commit
 * slower than the last, as H2 writes the list of all chunks with each one. Called every second from the
 * {@code h2-compaction} route; a pass rewrites at most {@link #WRITE_BYTES} and holds H2's store lock only while it
 * runs. Other databases (PostgreSQL, in-memory H2, an H2 served by another process) are left alone.
 */
@Component("h2Compaction")
public class H2Compaction {

    private static final Logger LOG = LoggerFactory.getLogger(H2Compaction.class);
    /** The share of live data below which chunks are rewritten: H2's own default (autoCompactFillRate). */
    static final int TARGET_FILL_RATE = 90;
    /** At most this much is rewritten per pass, so one pass holds the store lock briefly. */
    static final int WRITE_BYTES = 2 * 1024 * 1024;

    /**
     * The DataSources still to look at: every one at first, then only the embedded H2 files (and any whose pass
     * failed), so a box on PostgreSQL checks out no connection every second for nothing. Read and written by the
     * route's one timer thread.
     */
    private List<DataSource> candidates;

    /** Every DataSource of the box: its own database and a JDBC sink's, when that is another H2 file. */
    public H2Compaction(List<DataSource> dataSources) {
        this.candidates = dataSources.stream().distinct().toList(); // the sink's is usually the box's own
    }

    public void compact() {
        List<DataSource> embedded = new ArrayList<>();
        for (DataSource dataSource : candidates) {
            if (compact(dataSource)) {
                embedded.add(dataSource);
            }
        }
        candidates = List.copyOf(embedded);
    }

    /** One pass over one database; false when it turned out to be no H2 file open in this process. */
    private static boolean compact(DataSource dataSource) {
        try (Connection connection = dataSource.getConnection()) {
            MVStore store = embeddedFileStore(connection);
            if (store == null) {
                return false;
            }
            store.compact(TARGET_FILL_RATE, WRITE_BYTES);
        } catch (SQLException | RuntimeException e) {
            // a pass that fails changes nothing; the next one tries again
            LOG.warn("H2 compaction pass failed: {}", e.getClass().getSimpleName());
        }
        return true;
    }

    /** The MVStore behind this connection when it is an H2 file database open in this process, else null. */
    static MVStore embeddedFileStore(Connection connection) throws SQLException {
        if (!connection.isWrapperFor(JdbcConnection.class)
                || !(connection.unwrap(JdbcConnection.class).getSession() instanceof SessionLocal session)) {
            return null;
        }
        MVStore store = session.getDatabase().getStore().getMvStore();
        return store.getFileStore() == null || store.getFileStore().getFileName() == null ? null : store;
    }
}
