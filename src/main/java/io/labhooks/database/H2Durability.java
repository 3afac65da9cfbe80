package io.labhooks.database;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.sql.DataSource;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.labhooks.config.StartupRefusal;

/**
 * Every commit to an H2 file database is written at once, whatever URL the operator gave. H2 otherwise writes
 * commits up to WRITE_DELAY (500 ms) later, so a box killed right after acknowledging would lose webhooks it had
 * already acknowledged. A URL that leaves the setting out gets {@code WRITE_DELAY=0}; one that asks for a delay is
 * refused; and the setting is read back from the open database before the box takes any webhook.
 * In-memory H2 (tests) keeps nothing anyway and is left as it is. Other databases are not touched.
 */
public final class H2Durability {

    private static final Logger LOG = LoggerFactory.getLogger(H2Durability.class);
    private static final Pattern WRITE_DELAY = Pattern.compile(";\\s*WRITE_DELAY\\s*=\\s*([^;]*)", Pattern.CASE_INSENSITIVE);

    private H2Durability() {
    }

    /** The URL to connect with: {@code url} with WRITE_DELAY=0 added where it is an H2 file database without it. */
    public static String url(String url, String setting) {
        if (!isH2File(url)) {
            return url;
        }
        Matcher delay = WRITE_DELAY.matcher(url);
        if (delay.find()) {
            if (!delay.group(1).trim().equals("0")) {
                throw new StartupRefusal(setting + " sets WRITE_DELAY=" + delay.group(1).trim()
                        + ": H2 would then write commits late, and a killed box would lose webhooks it had acknowledged",
                        "Remove WRITE_DELAY from " + setting + " (labhooks sets WRITE_DELAY=0 itself).");
            }
            return url;
        }
        return url + ";WRITE_DELAY=0";
    }

    /** Reads the setting back from the database itself; refuses to start unless commits are written at once. */
    public static void verify(DataSource dataSource, String url, String setting) {
        if (!isH2File(url)) {
            return;
        }
        try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement();
             ResultSet row = statement.executeQuery(
                     "SELECT SETTING_VALUE FROM INFORMATION_SCHEMA.SETTINGS WHERE SETTING_NAME = 'WRITE_DELAY'")) {
            // H2 lists the open database's own value first (Database.getWriteDelay), then the settings of a URL.
            String value = row.next() ? row.getString(1) : null;
            if (!"0".equals(value)) {
                throw new StartupRefusal("the H2 database of " + setting + " has WRITE_DELAY=" + value
                        + " although WRITE_DELAY=0 was asked for: a killed box could lose acknowledged webhooks",
                        "Connect as a user with admin rights on that database, or use PostgreSQL.");
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read H2's WRITE_DELAY setting (SQLState " + e.getSQLState() + ")", e);
        }
        LOG.info("H2 database of {}: every commit is written to the file at once (WRITE_DELAY=0)", setting);
    }

    private static boolean isH2File(String url) {
        if (url == null) {
            return false;
        }
        String lower = url.toLowerCase(Locale.ROOT);
        return lower.startsWith("jdbc:h2:") && !lower.startsWith("jdbc:h2:mem:");
    }
}
