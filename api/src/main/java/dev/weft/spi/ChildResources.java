package dev.weft.spi;

import dev.weft.ErrorCode;
import dev.weft.FabricException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.function.Predicate;

/**
 * The children of a parent resource (a fabric's domains, a domain's regions, queues, listeners
 * and endpoints), closed in reverse creation order with failures collected by
 * {@code addSuppressed}. A helper for providers implementing the lifecycle of docs/architecture.md ("Lifecycle"; see docs/provider-spi.md).
 *
 * <p>A child {@link #add adds} itself when created and {@link #remove removes} itself when
 * closed on its own. A set-up in progress that the parent's close must end (a connect: its
 * socket, or an object whose {@code close} cancels it and waits for it) can be added the same
 * way and removed when the set-up returns. Once {@link #closeAll(String)} has started, {@link #add} refuses new
 * children, so nothing created concurrently with a close escapes it.
 *
 * <p>Thread-safe.
 */
public final class ChildResources {
    private final LinkedHashSet<AutoCloseable> children = new LinkedHashSet<>();
    private boolean closed;

    /** Creates an empty set. */
    public ChildResources() {
    }

    /**
     * Adds a child.
     *
     * @param child the new child
     * @param parentName the parent, for the error message
     * @throws FabricException with {@link ErrorCode#CLOSED} if the parent is closing or closed
     */
    public synchronized void add(AutoCloseable child, String parentName) {
        if (closed) {
            throw FabricException.closed(parentName);
        }
        children.add(child);
    }

    /**
     * Removes a child that closed on its own.
     *
     * @param child the child
     */
    public synchronized void remove(AutoCloseable child) {
        children.remove(child);
    }

    /** @return the number of open children */
    public synchronized int size() {
        return children.size();
    }

    /** @return a snapshot of the open children in creation order */
    public synchronized List<AutoCloseable> snapshot() {
        return new ArrayList<>(children);
    }

    /** @return {@code true} once {@link #closeAll(String)} has started */
    public synchronized boolean isClosed() {
        return closed;
    }

    /**
     * Closes every child in reverse creation order. Idempotent.
     *
     * @param parentName the parent, for the error message
     * @throws FabricException carrying every child's failure as a suppressed exception
     */
    public void closeAll(String parentName) {
        closeAll(parentName, child -> false);
    }

    /**
     * Closes the children {@code first} selects, then every other one; each group in reverse creation
     * order. For a parent whose children depend on one another across kinds: a domain closes its
     * endpoints, listeners and connects in progress before the regions and queues they use. {@link #add}
     * refuses new children only from the second group on, so a child the first group's closing hands over
     * (a listener giving its half-accepted endpoints to the parent) is still taken, and closed with the
     * second group. Idempotent.
     *
     * @param parentName the parent, for the error message
     * @param first the children to close before the others
     * @throws FabricException carrying every child's failure as a suppressed exception
     */
    public void closeAll(String parentName, Predicate<? super AutoCloseable> first) {
        List<AutoCloseable> early = new ArrayList<>();
        for (AutoCloseable child : snapshot()) {
            if (first.test(child)) {
                early.add(child);
            }
        }
        FabricException failure = closeEach(early, parentName, null);
        List<AutoCloseable> rest;
        synchronized (this) {
            closed = true;
            rest = new ArrayList<>(children);
            children.clear();
        }
        rest.removeAll(early);
        failure = closeEach(rest, parentName, failure);
        if (failure != null) {
            throw failure;
        }
    }

    private static FabricException closeEach(List<AutoCloseable> toClose, String parentName, FabricException failure) {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            try {
                toClose.get(i).close();
            } catch (Exception | Error e) {
                if (failure == null) {
                    failure = new FabricException(ErrorCode.IO_ERROR, "closing " + parentName + " failed to close some of its children");
                }
                failure.addSuppressed(e);
            }
        }
        return failure;
    }
}
