package io.reach.messaging;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class InboxProcessorTest {

    @Test
    void packsWholeGroupsInTheirOrderIntoRunsOfAboutTheGivenSize() {
        List<List<String>> groups = List.of(List.of("a1", "a2", "a3"), List.of("b1"), List.of("c1", "c2"),
                List.of("d1"), List.of("e1", "e2", "e3", "e4", "e5"), List.of("f1"));

        List<List<String>> runs = InboxProcessor.packed(groups, 4);

        assertThat(runs).containsExactly(List.of("a1", "a2", "a3", "b1"), List.of("c1", "c2", "d1", "e1", "e2", "e3", "e4", "e5"),
                List.of("f1"));
    }

    @Test
    void givesEachGroupARunOfItsOwnWhenTheSizeIsOne() {
        List<List<String>> groups = List.of(List.of("a1", "a2"), List.of("b1"));

        assertThat(InboxProcessor.packed(groups, 1)).containsExactlyElementsOf(groups);
    }

    @Test
    void packsNothingIntoNoRun() {
        assertThat(InboxProcessor.packed(List.<List<String>>of(), 3)).isEmpty();
    }
}
