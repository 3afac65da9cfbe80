package io.labhooks.database;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

import javax.sql.DataSource;

import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An H2 file database that writes every commit at once grows with every commit unless its chunks are compacted
 * (H2Compaction). The workload is a small queue: rows inserted, then updated one commit at a time, as the box's
 * queues are. The tests use RETENTION_TIME=0 so that rewritten chunks can be reused within the test; the box keeps
 * H2's 45 s.
 */
class H2CompactionTest {

    private static final int ROWS = 500;
    private static final int COMMITS = 6_000;

    @TempDir
    Path dir;

    @Test
    void compactionKeepsTheFileFromGrowingWithEveryCommit() throws Exception {
        long without = fileSizeAfterWorkload("without", false);
        long with = fileSizeAfterWorkload("with", true);
        assertThat(with).as("file bytes with compaction, against %d without", without).isLessThan(without / 2);
    }

    @Test
    void otherDatabasesAreLeftAlone() throws Exception {
        JdbcDataSource memory = new JdbcDataSource();
        memory.setURL("jdbc:h2:mem:compaction-test;DB_CLOSE_DELAY=-1");
        try (Connection c = memory.getConnection()) {
            assertThat(H2Compaction.embeddedFileStore(c)).isNull();
        }
        new H2Compaction(List.of(memory)).compact(); // a pass over an in-memory database does nothing, and does not fail
    }

    private long fileSizeAfterWorkload(String name, boolean compacting) throws Exception {
        JdbcDataSource dataSource = new JdbcDataSource();
        dataSource.setURL("jdbc:h2:file:" + dir.resolve(name) + ";WRITE_DELAY=0;RETENTION_TIME=0");
        H2Compaction compaction = new H2Compaction(List.of(dataSource));
        try (Connection keepOpen = dataSource.getConnection()) {
            assertThat(H2Compaction.embeddedFileStore(keepOpen)).isNotNull();
            try (Statement s = keepOpen.createStatement()) {
                s.execute("CREATE TABLE work (id INT PRIMARY KEY, status VARCHAR(16), attempts INT, body VARCHAR(1000))");
                s.execute("CREATE TABLE event (id INT PRIMARY KEY, body VARCHAR(1000))");
            }
            queue(dataSource, compacting ? compaction : null);
            return H2Compaction.embeddedFileStore(keepOpen).getFileStore().size();
        }
    }

    /** Each commit appends an event and moves a queue row on, as the box's ingest and queues do. */
    private static void queue(DataSource dataSource, H2Compaction compaction) throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement work = c.prepareStatement("INSERT INTO work VALUES (?, 'RECEIVED', 0, ?)");
             PreparedStatement event = c.prepareStatement("INSERT INTO event VALUES (?, ?)");
             PreparedStatement update = c.prepareStatement("UPDATE work SET status = ?, attempts = attempts + 1 WHERE id = ?")) {
            for (int id = 0; id < ROWS; id++) {
                work.setInt(1, id);
                work.setString(2, "x".repeat(800) + id);
                work.executeUpdate();
            }
            for (int i = 0; i < COMMITS; i++) {
                event.setInt(1, i);
                event.setString(2, "e".repeat(600) + i);
                event.executeUpdate();
                update.setString(1, i % 2 == 0 ? "CLAIMED" : "DONE");
                update.setInt(2, (i * 7919) % ROWS);
                update.executeUpdate(); // autocommit: each statement one commit, one chunk
                if (compaction != null && i % 100 == 99) {
                    compaction.compact();
                }
            }
        }
    }
}
