package dev.refusalmonitor.contract.directions;

/** A named sector of the refusal plane: angles in [startDeg, endDeg), degrees in (−180, 180]. */
public record Sector(String name, double startDeg, double endDeg) {

    public boolean contains(double angleDeg) {
        if (startDeg <= endDeg) return angleDeg >= startDeg && angleDeg < endDeg;
        return angleDeg >= startDeg || angleDeg < endDeg; // wraps through ±180
    }
}
