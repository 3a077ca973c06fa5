package io.lora4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code lora4j} command: one tool for prepare → train → export, plus inspection and inference helpers. */
@Command(
        name = "lora4j",
        mixinStandardHelpOptions = true,
        version = "lora4j 0.1.0",
        description = "Distributed LoRA fine-tuning of LLaMA-family models on the JVM.",
        subcommands = {
            InspectCommand.class,
            TokenizeCommand.class,
            TemplateCommand.class,
            LogitsCommand.class,
            GenerateCommand.class,
            RunCommand.class,
            PrepareCommand.class,
            TrainCommand.class,
            ExportCommand.class,
            QuantizeCommand.class,
            BenchCommand.class,
            DemoCommand.class,
            CommandLine.HelpCommand.class
        })
public final class Lora4j implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.err);
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code (tests call this instead of {@link #main}). */
    public static int run(String... args) {
        CommandLine cl = new CommandLine(new Lora4j());
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            commandLine.getErr().println("lora4j " + commandLine.getCommandName() + ": " + describe(ex));
            if (Boolean.getBoolean("lora4j.debug")) ex.printStackTrace(commandLine.getErr());
            return 1;
        });
        return cl.execute(args);
    }

    static String describe(Throwable ex) {
        String memory = MemoryLimits.explain(ex);
        if (memory != null) return memory;
        String msg = ex.getMessage();
        return msg != null && !msg.isBlank() ? msg : ex.getClass().getSimpleName();
    }
}
