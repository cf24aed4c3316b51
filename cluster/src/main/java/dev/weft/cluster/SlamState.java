package dev.weft.cluster;

/** The states of the slam-connect state machine (the seed patent's Fig. 4). */
public enum SlamState {
    /** 0: power on. */
    INITIAL(0),
    /** 1: RDMA read of the partner's configuration record. */
    ATTEMPTING_READ(1),
    /** 2: RDMA write of our state into the partner's configuration region. */
    ATTEMPTING_WRITE(2),
    /** 3: the partner was not ready; poll our own region, which the partner writes. */
    WAITING_ON_PARTNER(3),
    /** 4: second RDMA read of the partner's record. */
    ATTEMPTING_READ_AGAIN(4),
    /** 5: second RDMA write; wait until the partner reaches 5. */
    ATTEMPTING_WRITE_AGAIN(5),
    /** Both sides reached 5: exchange client information, create client endpoints, alert the partner. */
    CONNECTED(6),
    /** A timeout or a failed read or write; the retry policy decides when to start again. */
    ERROR(7);

    private final int code;

    SlamState(int code) {
        this.code = code;
    }

    /** @return the number stored in configuration records (0..5 as in the figure, 6 Connected, 7 Error) */
    public int code() {
        return code;
    }

    /**
     * @param code a value from {@link #code()}
     * @return the state, or {@code null} for an unknown code
     */
    public static SlamState ofCode(int code) {
        for (SlamState s : values()) {
            if (s.code == code) {
                return s;
            }
        }
        return null;
    }
}
