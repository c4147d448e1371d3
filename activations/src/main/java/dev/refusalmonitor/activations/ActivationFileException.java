package dev.refusalmonitor.activations;

import java.io.IOException;
import java.nio.file.Path;

/** An activation file that cannot be used; the message names the file and what is wrong with it. */
public class ActivationFileException extends IOException {
    private final Path file;

    public ActivationFileException(Path file, String problem) {
        super(file + ": " + problem);
        this.file = file;
    }

    public Path file() {
        return file;
    }
}
