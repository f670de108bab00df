@faults @etcd-v2v3
Feature: etcd v2store → v3store migrations interrupted by faults
  The online migrator is interrupted between its batches; the rolling offline migration loses a
  member while another one is being migrated. Each scenario shows the failure (or that the migration
  rode it out), the v2 source unchanged, and that recovery reaches the v3 store the mapping expects
  with nothing lost (empty diff).

  Scenario Outline: online migration while etcd is <fault> after <count> keys, in batches of 32
    Given an etcd 3.4 store "source"
    And the v2 keys of "etcd-v2/generated-small.yaml" in etcd "source"
    When I snapshot etcd v2 "source" as "v2"
    And etcd "source" will be <fault> after <count> keys reach etcd "source"
    And I try the online migration of etcd "source" in batches of 32
    Then the fault fired
    And the online migration step <outcome>
    When I recover the online migration of etcd "source"
    Then etcd v2 "source" is unchanged since snapshot "v2"
    And the online migration of etcd "source" verifies
    And etcd "source" holds what snapshot "v2" maps to under "etcd-v2v3-online"

    Examples:
      | fault                | count | outcome                                    |
      | killed               | 64    | failed naming "migrate etcd v2→v3 online" |
      | killed               | 160   | failed naming "migrate etcd v2→v3 online" |
      | paused for 2 seconds | 64    | succeeded                                  |
      | restarted            | 96    | succeeded                                  |

  Scenario Outline: online migration through a network with <network>
    Given an etcd 3.4 store "source"
    And the v2 keys of "etcd-v2/generated-small.yaml" in etcd "source"
    And the migrator reaches etcd "source" through a fault proxy
    When I snapshot etcd v2 "source" as "v2"
    And the network to etcd "source" has "<network>"
    And I try the online migration of etcd "source" in batches of 32
    Then the online migration step <outcome>
    When the faults heal
    And I recover the online migration of etcd "source"
    Then etcd v2 "source" is unchanged since snapshot "v2"
    And the online migration of etcd "source" verifies
    And etcd "source" holds what snapshot "v2" maps to under "etcd-v2v3-online"

    Examples:
      | network          | outcome                                    |
      | connection reset | failed naming "migrate etcd v2→v3 online" |
      | latency of 20 ms | succeeded                                  |

  @slow
  Scenario Outline: rolling offline migration: member <lost> is <fault> while member <migrating> is migrated
    Given an etcd 3.4 cluster "source" of 3 members
    And the v2 keys of "etcd-v2/generated-small.yaml" in etcd "source"
    When I snapshot etcd v2 "source" as "v2"
    And etcd "source" member <lost> will be <fault> once member <migrating> is stopped for its migration
    And I try the offline migration of etcd "source"
    Then the fault fired
    And the offline migration step <outcome>
    When I recover the offline migration of etcd "source"
    Then etcd v2 "source" is unchanged since snapshot "v2"
    And the offline migration of etcd "source" verifies
    And etcd "source" holds what snapshot "v2" maps to under "etcd-v2v3"

    Examples:
      | lost | migrating | fault                | outcome   |
      | 1    | 0         | killed               | succeeded |
      | 2    | 1         | killed               | succeeded |
      | 0    | 2         | killed               | succeeded |
      | 1    | 0         | paused for 3 seconds | succeeded |
      | 2    | 0         | restarted            | succeeded |
