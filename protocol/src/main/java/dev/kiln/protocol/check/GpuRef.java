package dev.kiln.protocol.check;

/** Which GPU a result concerns, named every way a technician or a script may look for it. */
public record GpuRef(Integer index, String uuid, String serial, String pciBusId) {
}
