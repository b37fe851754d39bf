package iikg;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Map;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.ConnectorPortRegister;
import org.neo4j.configuration.connectors.ConnectorType;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.connectors.HttpsConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.io.ByteUnit;
import org.neo4j.kernel.internal.GraphDatabaseAPI;

/**
 * Starts Neo4j 5.26 Community in this JVM for IIKG's tests and benchmarks.
 *
 * <p>Protocol: the password comes from the environment variable {@code NEO4J_PASSWORD} (or the
 * first argument; at least 8 characters). Bolt listens on a free loopback port, auth on, user
 * {@code neo4j}, database {@code neo4j}, HTTP off, data in a fresh temporary folder. When the
 * server is ready the launcher prints one line, {@code bolt://127.0.0.1:PORT}, on stdout; nothing
 * else goes to stdout (Neo4j's logs stay in the temporary folder). It stops the server and deletes
 * the folder when its stdin reaches end of file (the parent closed the pipe or died) or on
 * SIGTERM/SIGINT. Any failure to start prints one line on stderr and exits with code 1.
 */
public final class Neo4jLauncher {
    private Neo4jLauncher() {}

    public static void main(String[] args) throws Exception {
        String password = args.length > 0 ? args[0] : System.getenv("NEO4J_PASSWORD");
        if (password == null || password.length() < 8) {
            System.err.println("neo4j launcher: give a password of 8+ characters in NEO4J_PASSWORD or as the first argument");
            System.exit(1);
        }
        Path home = Files.createTempDirectory("iikg-neo4j-");
        DatabaseManagementService dbms;
        String uri;
        try {
            dbms = new DatabaseManagementServiceBuilder(home)
                    .setConfig(BoltConnector.enabled, true)
                    .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", 0))
                    .setConfig(BoltConnector.encryption_level, BoltConnector.EncryptionLevel.DISABLED)
                    .setConfig(HttpConnector.enabled, false)
                    .setConfig(HttpsConnector.enabled, false)
                    .setConfig(GraphDatabaseSettings.auth_enabled, true)
                    // nothing here outlives the run: do not wait 10 s for open transactions at stop
                    .setConfig(GraphDatabaseSettings.shutdown_transaction_end_timeout, java.time.Duration.ofSeconds(1))
                    .setConfig(GraphDatabaseSettings.pagecache_memory, ByteUnit.mebiBytes(256))
                    .setConfig(GraphDatabaseSettings.tx_state_max_off_heap_memory, ByteUnit.mebiBytes(256))
                    // no usage report from a test server; no graceful waits at stop (Bolt's thread
                    // pool and connections otherwise wait 5 s each, with nothing left to wait for)
                    .loadPropertiesFromFile(Files.writeString(home.resolve("neo4j.conf"), String.join("\n",
                            "dbms.usage_report.enabled=false",
                            "internal.server.bolt.thread_pool_shutdown_wait_time=0s",
                            "internal.server.bolt.connection_shutdown_wait_time=0s", "")))
                    .build();
            // The embedded API runs as the system itself, so it may set the password on the system
            // database; CHANGE NOT REQUIRED lets drivers use it at once.
            dbms.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME).executeTransactionally(
                    "ALTER USER neo4j SET PASSWORD $password CHANGE NOT REQUIRED",
                    Map.of("password", password));
            GraphDatabaseAPI db = (GraphDatabaseAPI) dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME);
            org.neo4j.internal.helpers.HostnamePort bolt = db.getDependencyResolver()
                    .resolveDependency(ConnectorPortRegister.class)
                    .getLocalAddress(ConnectorType.BOLT);
            uri = "bolt://127.0.0.1:" + bolt.getPort();
        } catch (Exception e) {
            System.err.println("neo4j launcher: could not start Neo4j: " + e);
            deleteTree(home);
            System.exit(1);
            return;
        }
        final DatabaseManagementService started = dbms;
        Thread stop = new Thread(() -> {
            try {
                started.shutdown();
            } catch (Exception ignored) {
                // shutting down anyway
            }
            deleteTree(home);
        }, "iikg-neo4j-stop");
        Runtime.getRuntime().addShutdownHook(stop);
        System.out.println(uri);
        System.out.flush();
        InputStream in = System.in;
        byte[] buffer = new byte[256];
        while (in.read(buffer) >= 0) {
            // wait for end of file
        }
        System.exit(0); // runs the shutdown hook
    }

    private static void deleteTree(Path root) {
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                    Files.deleteIfExists(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException ignored) {
            // a temporary folder left behind is harmless
        }
    }
}
