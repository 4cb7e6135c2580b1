package dev.kiln.cli;

/** Entry point of {@code kiln.jar} (see bin/kiln). Exit statuses: {@link ExitCodes}. */
public final class KilnMain {
    private KilnMain() {
    }

    public static void main(String[] args) {
        int code;
        try {
            code = KilnCli.commandLine().execute(args);
        } catch (Throwable t) {
            // Handlers map everything; this only catches failures while building the command tree.
            System.err.println("kiln: internal error: " + t);
            t.printStackTrace();
            code = ExitCodes.INTERNAL;
        }
        System.out.flush();
        System.exit(code);
    }
}
