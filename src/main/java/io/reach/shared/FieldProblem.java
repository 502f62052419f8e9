package io.reach.shared;

/** One problem with one field of a request, as listed in an error's details. */
public record FieldProblem(String field, String message) {}
