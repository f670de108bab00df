@live-writers @etcd-v2v3
Feature: applications keep writing while etcd v2 is migrated to v3 online
  The online migrator reads v2 once and writes v3 in guarded transactions. An application still on
  v2 keeps writing during the copy: what the scan saw must be in v3, what came after must be named,
  and a second pass migrates new keys and refuses changed ones by name; never lost silently. A client
  already on v3 writes during the copy too: none of its writes is ever overwritten.

  Scenario: v2 writes during the online migration are migrated, named, or refused by name
    Given an etcd 3.4 store "source"
    And the v2 keys of "etcd-v2/shapes.yaml" in etcd "source"
    When I migrate etcd "source" online, one key per transaction, while a live v2 writer writes under "/live"
    Then every v2 write during the online migration of etcd "source" is in v3 or named
    When I migrate etcd "source" online again, skipping collisions
    Then every write of the live v2 writer to etcd "source" is in v3 or was refused by name

  @smoke
  Scenario: v3 writes during the online migration are never overwritten
    Given an etcd 3.4 store "source"
    And the v2 keys of "etcd-v2/shapes.yaml" in etcd "source"
    When I migrate etcd "source" online, one key per transaction, while a live v3 writer writes to:
      | key              |
      | /numbers/0       |
      | /queue/live      |
      | /double/slash    |
      | /v3-only/session |
    Then the live v3 writer's writes to etcd "source" are intact
