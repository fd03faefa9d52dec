package org.maillage.opensearch;

import java.lang.reflect.Constructor;
import java.lang.reflect.ParameterizedType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.opensearch.Version;
import org.opensearch.common.logging.LogConfigurator;
import org.opensearch.common.settings.Settings;
import org.opensearch.env.Environment;
import org.opensearch.http.HttpServerTransport;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.plugins.PluginInfo;

/**
 * One OpenSearch node in this JVM, for the search tests: single-node discovery on loopback, no
 * security, the modules that the index definition uses loaded from the classpath.
 *
 * <p>Usage: {@code TestNode HOME HTTP_PORT [CLUSTER_NAME]}. The node's home, data and logs live
 * under HOME; HTTP_PORT 0 takes a free port. Once the node serves HTTP it prints one line,
 * {@code opensearch ready http://HOST:PORT}. SIGTERM or SIGINT closes the node (the JVM then exits
 * with 143 or 130, as any JVM stopped by a signal).
 */
public final class TestNode {

    /**
     * The plugins a distribution would load from its modules directory, here from the classpath:
     * each under its 3.x name, then its 2.x one.
     */
    private static final List<List<String>> MODULES = List.of(
            // HTTP and transport
            List.of("org.opensearch.transport.Netty4ModulePlugin", "org.opensearch.transport.Netty4Plugin"),
            // elision, word_delimiter_graph, asciifolding, stemmer
            List.of("org.opensearch.analysis.common.CommonAnalysisModulePlugin",
                    "org.opensearch.analysis.common.CommonAnalysisPlugin"),
            // search_as_you_type
            List.of("org.opensearch.index.mapper.MapperExtrasModulePlugin",
                    "org.opensearch.index.mapper.MapperExtrasPlugin"));

    private TestNode() {
    }

    static List<Class<?>> modules() throws ClassNotFoundException {
        List<Class<?>> found = new ArrayList<>();
        for (List<String> names : MODULES) {
            Class<?> module = null;
            for (String name : names) {
                try {
                    module = Class.forName(name);
                    break;
                } catch (ClassNotFoundException e) {
                    // the other version's name
                }
            }
            if (module == null) {
                throw new ClassNotFoundException("none of " + names + " on the classpath");
            }
            found.add(module);
        }
        return found;
    }

    /**
     * A node with classpath plugins, through Node's protected constructor, which takes the plugin
     * classes in 2.x and their PluginInfo in 3.x: one launcher builds against either.
     */
    static Node newNode(Environment environment, List<Class<?>> plugins) throws ReflectiveOperationException {
        Constructor<Node> constructor = Node.class.getDeclaredConstructor(Environment.class, Collection.class, boolean.class);
        var element = ((ParameterizedType) constructor.getGenericParameterTypes()[1]).getActualTypeArguments()[0];
        Collection<Object> arguments = new ArrayList<>();
        for (Class<?> plugin : plugins) {
            arguments.add(element == PluginInfo.class
                    ? new PluginInfo(plugin.getName(), "classpath plugin", "NA", Version.CURRENT,
                            Runtime.version().feature() + "", plugin.getName(), null, List.of(), false)
                    : plugin);
        }
        constructor.setAccessible(true);
        return constructor.newInstance(environment, arguments, true);
    }

    static Settings settings(Path home, String httpPort, String clusterName) {
        return Settings.builder()
                .put("cluster.name", clusterName)
                .put("node.name", clusterName + "-node")
                .put("path.home", home.toString())
                .put("path.data", home.resolve("data").toString())
                .put("path.logs", home.resolve("logs").toString())
                .put("network.host", "127.0.0.1")
                .put("http.port", httpPort)
                .put("transport.port", "0")  // nothing connects to it; never clash with another run
                .put("discovery.type", "single-node")
                // A test machine's disk may be fuller than the default watermarks allow: shards
                // would stay unassigned or indices turn read-only.
                .put("cluster.routing.allocation.disk.threshold_enabled", false)
                .put("logger.level", "INFO")
                .build();
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2 || args.length > 3) {
            System.err.println("usage: TestNode HOME HTTP_PORT [CLUSTER_NAME]");
            System.exit(2);
        }
        Path home = Path.of(args[0]).toAbsolutePath();
        Files.createDirectories(home.resolve("config"));
        Settings settings = settings(home, args[1], args.length == 3 ? args[2] : "maillage-test");

        LogConfigurator.registerErrorListener();
        LogConfigurator.configureWithoutConfig(settings);
        Environment environment = InternalSettingsPreparer.prepareEnvironment(
                settings, Map.of(), home.resolve("config"), () -> settings.get("node.name"));

        Node node = newNode(environment, modules());
        CountDownLatch closed = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
                node.awaitClose(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                e.printStackTrace();
            } finally {
                closed.countDown();
            }
        }, "test-node-shutdown"));

        node.start();
        var address = node.injector().getInstance(HttpServerTransport.class).boundAddress().publishAddress();
        System.out.println("opensearch ready http://" + address.getAddress() + ":" + address.getPort());
        System.out.flush();
        closed.await();  // the node's own threads may all be daemons: keep the JVM up until closed
    }
}
