package io.reach.shared;

import java.sql.SQLException;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.core.env.Environment;

/**
 * Turns a database Reach cannot connect to as it starts into Spring Boot's "APPLICATION FAILED TO START" report: the
 * database's address (without a password), the driver's reason, and the settings to look at, instead of some hundred
 * lines of stack trace.
 */
class DatabaseUnreachableAtStartAnalyzer extends AbstractFailureAnalyzer<DatabaseUnreachableAtStart> {

    // H2's "Database may be already in use": its file is open in another process.
    private static final int H2_FILE_IN_USE = 90020;

    private final Environment environment;

    DatabaseUnreachableAtStartAnalyzer(Environment environment) {
        this.environment = environment;
    }

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, DatabaseUnreachableAtStart failure) {
        String url = withoutPassword(environment.getProperty("spring.datasource.url", "(no spring.datasource.url)"));
        SQLException reason = failure.sqlException();
        if (url.startsWith("jdbc:h2:") && reason.getErrorCode() == H2_FILE_IN_USE) {
            return new FailureAnalysis("Reach cannot open its H2 database (" + url + "): another process has its file open,"
                    + " most often another Reach started in the same directory earlier. H2 lets one process use it.",
                    "Stop that Reach, or give this one a data directory of its own: set reach.data-dir (environment:"
                            + " REACH_DATA_DIR), now " + environment.getProperty(DataDirectory.KEY) + ".", failure);
        }
        return new FailureAnalysis("Reach cannot connect to its database at " + url + " as user '"
                        + environment.getProperty("spring.datasource.username", "") + "': " + reason.getMessage(),
                "Check that the database runs and takes connections at that address, and the settings that name it: "
                        + "REACH_DB_URL, REACH_DB_USER and REACH_DB_PASSWORD with the postgres profile (or"
                        + " SPRING_DATASOURCE_URL, _USERNAME and _PASSWORD). The database must exist (CREATE DATABASE);"
                        + " Reach creates its tables in it once it connects.", failure);
    }

    /** A JDBC URL without the value of a password it may carry as a parameter. */
    static String withoutPassword(String url) {
        return url.replaceAll("(?i)(password=)[^&;]*", "$1***");
    }
}
