package io.lora4j.data;

import org.apache.hadoop.conf.Configuration;

/**
 * One default Hadoop Configuration per JVM, only read: each {@code new Configuration()} parses the XML resources again
 * on first use (milliseconds each, once per file and per task before this), and FileSystem instances are cached by
 * URI anyway. Equivalent to a fresh default Configuration as long as nobody writes to it.
 */
final class HadoopConf {
    private static final Configuration SHARED = new Configuration();

    static {
        SHARED.get("fs.defaultFS"); // load the resources once, here
    }

    private HadoopConf() {}

    static Configuration get() {
        return SHARED;
    }
}
